"""egovops: operations toolkit for city and county e-government networks.

The package follows one data flow: inventories are loaded into a typed model
(:mod:`egovops.load`), analysed (:mod:`egovops.topology`), and rendered or exported
(:mod:`egovops.export`, :mod:`egovops.cli`). Library code never prints.
"""

__version__ = "0.1.0"
