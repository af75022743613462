//! rcgen test PKI (filled in below).
