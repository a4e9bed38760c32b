// (Replaced by the parsers.)
