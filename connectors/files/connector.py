class FilesConnector:  # placeholder until the connector lands
    system = "files"
