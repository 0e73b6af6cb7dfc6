"""The scanning room: batches taken in, pages run, folders assembled and checked."""
