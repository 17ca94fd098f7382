"""The reference solutions of notebook 04's exercises, shown by ``building.solution(number)``."""
from resnet_lab.solutions import Solution, SolutionBook

SOLUTIONS = SolutionBook("04", [
    Solution("04.1", "check_bottleneck", '''\
class MyBottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels, planes, stride=1):
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)   # v1.5: stride here
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


result = building.check_bottleneck(MyBottleneck)''',
             "1x1 reduce, 3x3 (with the stride, as in v1.5), 1x1 restore to 4 x planes channels, BatchNorm after "
             "each convolution, ReLU after the first two and after the addition; a 1x1 projection (option B) only "
             "where the shape changes."),
    Solution("04.2", "check_zero_pad_shortcut", '''\
def zero_pad_shortcut(x, out_channels, stride):
    x = x[:, :, ::stride, ::stride]                                  # keep every stride-th pixel
    return torch.nn.functional.pad(x, (0, 0, 0, 0, 0, out_channels - x.shape[1]))   # zero channels at the end


result = building.check_zero_pad_shortcut(zero_pad_shortcut)''',
             "subsampling by slicing halves height and width with no parameters, and pad's last pair pads the "
             "channel dimension: (0, extra) appends zero channels after the input's own."),
    Solution("04.3", "check_v1_v15_difference", '''\
# In layer2, layer3 and layer4 the first block's stride moves from its first 1x1 convolution (v1) to its 3x3
# convolution (v1.5). The 1x1 then runs at the input's resolution, the 3x3 at the output's, and the 3x3 costs
# 9 times as much per position: layer2 with input 56x56 -> 28x28, 256 -> 128 channels:
#   v1:   1x1 at 28x28: 256*128*28*28,   3x3 at 28x28: 9*128*128*28*28
#   v1.5: 1x1 at 56x56: 256*128*56*56,   3x3 at 28x28 (strided): 9*128*128*28*28
# so only the 1x1 changes: 256*128*(56*56 - 28*28); layer3 and layer4 give exactly the same number.
answer = 3 * 256 * 128 * (56 * 56 - 28 * 28)

result = building.check_v1_v15_difference(answer)''',
             "the 3x3 convolution costs the same in both (it always produces the output resolution); the first 1x1 "
             "runs at 4 times the positions in v1.5, and the three strided stages contribute equal amounts."),
])
