"""Daily, monthly and shift-handover reports from the journal, as PDF or XLSX.

``data`` gathers the numbers (no Qt); ``pdf`` and ``xlsx`` write them; ``build`` picks the writer
by the file's suffix. Labels come from ``console.ui.words`` in the report's locale (zh_CN).
"""
