"""The review web app (FastAPI): reviewers decide pages, archivists approve folders."""
