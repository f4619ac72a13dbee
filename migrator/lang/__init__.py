"""Front ends: what each kind of file says, read once, for the rules that look at it."""
