"""The roster in Excel: one sheet reader and header finder (also the dues import's), row checks, import, export."""
