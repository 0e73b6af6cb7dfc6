"""Documents (văn bản) inside folders: where each begins, what its header says, how secret it is.

Pages are read one by one in the pipeline (`reading`, `stamps`: plain functions over the
OCR words and the page image); a folder's readings are then split into documents and
their fields combined and cross-checked (`split`, `describe`). Nothing here touches the
database: the runner records what these functions return.
"""
