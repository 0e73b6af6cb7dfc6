"""Human review: the rules for pages and folders (`rules`) and for documents (`documents`)."""
