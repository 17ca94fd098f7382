"""The reference solutions of notebook 02's exercises, shown by ``gradient_flow.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("02", [
    Solution("02.1", "check_residual_unit", '''\
from torch import nn

class MyResidualUnit(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.w1, self.w2 = nn.Linear(width, width), nn.Linear(width, width)

    def residual_branch(self, x):
        return self.w2(torch.relu(self.w1(x)))

    def forward(self, x):
        return x + self.residual_branch(x)      # the input, unchanged, plus the branch

gradient_flow.check_residual_unit(MyResidualUnit)''',
             "the unit returns x + F(x) with nothing applied after the sum, which is what makes x_L = x_l + sum F "
             "and the (I + ...) factor in the gradient exact."),
    Solution("02.2", "check_scaled_shortcut_prediction", '''\
my_prediction = 0.9 ** 54      # each of the 54 shortcuts multiplies the gradient by 0.9 on its way back
gradient_flow.check_scaled_shortcut_prediction(my_prediction, shortcut_scale=0.9, units=54)''',
             "with F = 0 each unit is y = 0.9 x, whose Jacobian is 0.9 I; 54 of them in a row multiply the "
             "gradient by 0.9^54, about 0.0034."),
    Solution("02.3", "check_autocorrelation", '''\
def my_autocorrelation(values, k):
    values = np.asarray(values, dtype=float)
    d = values - values.mean()
    return float(d[:len(d) - k] @ d[k:] / (d @ d))

gradient_flow.check_autocorrelation(my_autocorrelation)''',
             "subtract the mean, sum the products of values k apart, and divide by the lag-0 sum, so that r(0) = 1."),
    Solution("02.4", "check_first_lag_below", '''\
residual = shattered["residual, deep (50 units)"]
first_lag = next(k for k in range(1, len(residual)) if my_autocorrelation(residual, k) < 0.5)

gradient_flow.check_first_lag_below(first_lag, residual, threshold=0.5)''',
             "count k up from 1 and stop at the first r(k) below 0.5."),
])
