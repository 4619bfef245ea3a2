# The harness plugin itself is registered once, through the pytest11 entry point in
# pyproject.toml; pytester drives it in tests/test_plugin.py.
pytest_plugins = ["pytester"]
