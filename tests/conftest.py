pytest_plugins = ["tests.plugins.fixtures"]
