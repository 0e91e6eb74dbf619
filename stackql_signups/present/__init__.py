"""Write result sets as json, jsonl, csv, table or text."""

from .formats import FORMATS, Presenter

__all__ = ["FORMATS", "Presenter"]
