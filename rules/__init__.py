"""The school's rules as data: the typed rules, the reader of a rules file, the table."""
