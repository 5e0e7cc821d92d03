"""chanjiao: the 市域产教联合体 application, from plain text to the official documents."""

__version__ = "0.1.0"
