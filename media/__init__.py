"""Files people hand in and take away: what a file is by its bytes, fitting it under the national
upload caps, and writing spreadsheets that never run a formula."""
