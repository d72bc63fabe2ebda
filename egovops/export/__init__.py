"""Artefacts generated from the model: Ansible inventory, JSON, Graphviz, JSON Schema.

The model is the only source of truth; these are derived from it and never edited by hand.
"""

from egovops.export.ansible import ansible_inventory
from egovops.export.graphviz import render_dot, render_image
from egovops.export.jsondump import inventory_json
from egovops.export.schema import site_file_schema

__all__ = [
    "ansible_inventory",
    "inventory_json",
    "render_dot",
    "render_image",
    "site_file_schema",
]
