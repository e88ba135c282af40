"""dxplan: a validated DuckDB warehouse of Fukushima Prefecture's DX plan progress reports."""

__version__ = "0.1.0"
