"""Export: archival packages (`packages`: BagIt, Archivematica, AtoM), METS/PREMIS, catalogues."""
