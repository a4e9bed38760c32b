// (Replaced by the outbound HTTP client.)
