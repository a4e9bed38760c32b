// (Replaced by the chunker.)
