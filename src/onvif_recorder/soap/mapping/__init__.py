"""XML ⇄ domain mapping, one module per schema family."""
