"""Members' tax profiles (tax ids encrypted at rest) and the yearly tax summaries."""
