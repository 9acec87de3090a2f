"""A faulty mfalint plugin: one entry point fails to import, the other has a rule that raises."""
