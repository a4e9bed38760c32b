// (Replaced by the multipart parser.)
