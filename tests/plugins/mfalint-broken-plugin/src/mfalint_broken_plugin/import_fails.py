"""An entry point whose module raises ImportError while it is imported."""

raise ImportError("mfalint_broken_plugin.import_fails needs a module that is not installed")
