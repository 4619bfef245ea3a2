# The harness plugin is registered once, through the pytest11 entry point in pyproject.toml.
