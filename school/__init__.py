"""The school's operations: one function per duty (import a roster, issue codes, set a window,
decide a certification, export a year), called alike by the chat flows, the web console and the
CLI."""
