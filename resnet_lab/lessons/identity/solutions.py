"""The reference solutions of notebook 05's exercises, shown by ``identity.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("05", [
    Solution("05.1", "check_preact_unit", '''\
def preact_unit(layers, x):
    out = layers.conv1(torch.relu(layers.bn1(x)))
    out = layers.conv2(torch.relu(layers.bn2(out)))
    return x + out

result = identity.check_preact_unit(preact_unit)''',
             "He et al. 2016, Fig. 4(e): each convolution is preceded by its batch norm and ReLU, and the addition "
             "is the last thing the unit does, so the shortcut carries x_l to the next unit unchanged."),
    Solution("05.2", "check_formula_gradient", '''\
def formula_gradient(g_L, x_l, total_F):
    through_branches = torch.autograd.grad(total_F, x_l, grad_outputs=g_L, retain_graph=True)[0]
    return g_L + through_branches

result = identity.check_formula_gradient(formula_gradient)''',
             "the '1' of the formula is g_L itself, carried by the shortcuts; the second term is the vector-Jacobian "
             "product g_L (d sum F / d x_l), which autograd computes from total_F's graph without forming the "
             "Jacobian."),
    Solution("05.3", "check_fixup_factor", '''\
def fixup_factor(L, m):
    return L ** (-1 / (2 * m - 2))

result = identity.check_fixup_factor(fixup_factor)''',
             "Zhang et al. 2019, rule 2: the weight layers inside the L residual branches of m layers are scaled by "
             "L^(-1/(2m-2)), so the branches' summed contribution stays of order one however deep the net."),
])
