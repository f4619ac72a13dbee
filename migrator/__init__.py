"""ft-migrate: migrate code off OpenAI's legacy fine-tunes API and GPT-3 models."""

__version__ = "0.1.0"
