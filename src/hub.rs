//! Model resolution: models.toml names, Hugging Face hub repo ids and local folders (not implemented yet).
