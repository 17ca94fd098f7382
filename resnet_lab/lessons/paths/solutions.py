"""The reference solutions of notebook 06's exercises, shown by ``paths.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("06", [
    Solution("06.1", "check_path_counts", '''\
def path_counts(n):
    return [math.comb(n, k) for k in range(n + 1)]

result = paths.check_path_counts(path_counts)''',
             "each of the n blocks is passed either through its residual branch or through its shortcut, so a path "
             "is a subset of the blocks; those of length k are the C(n, k) subsets of size k (Veit et al. 2016, "
             "section 3), 2^n paths in all."),
    Solution("06.2", "check_filter_normalise", '''\
def filter_normalise(direction, weight):
    if weight.dim() <= 1:
        return torch.zeros_like(direction)
    shape = (-1,) + (1,) * (weight.dim() - 1)
    return direction * (weight.flatten(1).norm(dim=1) / direction.flatten(1).norm(dim=1)).view(shape)

result = paths.check_filter_normalise(filter_normalise)''',
             "Li et al. 2018, section 4: d_ij <- d_ij / ||d_ij|| * ||theta_ij|| for every filter j of layer i; with "
             "batch norm a filter's scale does not change what the net computes, so only steps measured in units of "
             "each filter's own norm compare across layers and nets."),
])
