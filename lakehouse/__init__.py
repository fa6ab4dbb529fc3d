"""regulake lakehouse: configuration, the Spark session, the Delta table layer and the layers."""

__version__ = "0.1.0"
