import sys

from resnet_lab.tools.cli import main

sys.exit(main())
