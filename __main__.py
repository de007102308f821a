"""The multicloud program: load the stack config, build the fleet, export its outputs."""

from stacks import config, fleet

fleet.export(fleet.build(config.load()))
