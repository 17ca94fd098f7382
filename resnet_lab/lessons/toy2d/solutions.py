"""The reference solutions of notebook 03's exercises, shown by ``toy2d.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("03", [
    Solution("03.1", "check_sample_annulus", '''\
def sample_annulus(n, r_min, r_max, generator):
    r = torch.sqrt(r_min ** 2 + (r_max ** 2 - r_min ** 2) * torch.rand(n, generator=generator))
    angle = 2 * torch.pi * torch.rand(n, generator=generator)
    return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)


toy2d.check_sample_annulus(sample_annulus)''',
             "the area inside radius r grows as r^2, so r^2, not r, must be uniform between r_min^2 and r_max^2; "
             "the angle is uniform on its own."),
    Solution("03.2", "check_one_neuron_block", '''\
def block(z, U, b, V):
    return z + torch.relu(z @ U.T + b) @ V.T     # rows: U z + b is z @ U.T + b, and V a is a @ V.T


toy2d.check_one_neuron_block(block)''',
             "one neuron ReLU(U z + b) per row, spread back into the plane along V, and the input z added back "
             "(the identity path)."),
    Solution("03.3", "check_parameter_count", '''\
def count(width, depth, residual):
    if residual:   # each block: U (width x 2) + b (width) + V (2 x width); output: 2 weights + 1 bias
        return depth * (2 * width + width + 2 * width) + 3
    # first layer 2 -> width, then depth - 1 layers width -> width, each with biases; output width -> 1
    return (2 * width + width) + (depth - 1) * (width * width + width) + (width + 1)


toy2d.check_parameter_count(count)''',
             "count every weight matrix and bias vector: the residual blocks do not change the state's width 2, so "
             "every block costs 5 per neuron; the plain net's first layer maps 2 inputs to its width."),
    Solution("03.4", "check_bounded_net", '''\
# f(z) = c - sum_i ReLU(n_i . z) with unit vectors n_i at 0, 120 and 240 degrees. Along any ray the sum is
# |z| g(t) with sqrt(3)/2 <= g(t) <= 1, so {f > 0} is a regular hexagon with inradius c and circumradius
# c / (sqrt(3)/2): with c = 1.5 it holds the unit disc and stays inside radius 1.73, away from the ring (2 to 3).
mine = toy2d.PlainNet(width=3, depth=1)
angles = torch.tensor([0.0, 2 * torch.pi / 3, 4 * torch.pi / 3])
with torch.no_grad():
    mine.layers[0].linear.weight.copy_(torch.stack([torch.cos(angles), torch.sin(angles)], dim=1))
    mine.layers[0].linear.bias.zero_()
    mine.output.weight.fill_(-1.0)
    mine.output.bias.fill_(1.5)

toy2d.check_bounded_net(mine)''',
             "three ReLU ridges facing outwards at 120 degrees fence in a regular hexagon (inradius c, "
             "circumradius 2c/sqrt(3)); it holds the unit disc and misses the ring for any c with 1 < c < sqrt(3)."),
    Solution("03.5", "check_width2_answer", '''\
width2_can_enclose = False

toy2d.check_width2_answer(width2_can_enclose)''',
             "Beise et al. (2018): when no hidden layer is wider than the input, every connected component of a "
             "decision region is unbounded, at any depth; section 4 checked it exactly on 25 trained nets."),
])
