//! Bytes to text: BOM, UTF-8/16, legacy encodings, binary detection (not implemented yet).
