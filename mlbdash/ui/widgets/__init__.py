"""Dashboard widgets: each displays views handed to it and never reads the pipeline itself."""
