import sys

from ecg_utils.cli import main

sys.exit(main())
