"""YAML → typed model, with ``file:line`` on every error and all errors reported at once."""

from egovops.load.inventory import load_inventory, yaml_files

__all__ = ["load_inventory", "yaml_files"]
