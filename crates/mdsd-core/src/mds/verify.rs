//! Phase 2 of BLOB verification: [`InspectedBlob::verify`] checks what phase 1 read — `alg`,
//! the signing chain to a pinned root, revocation, the signature, the payload, rollback — and
//! builds the trust store (MDS3 §3.2; the step order is in the [`super`] module docs).

use std::sync::Arc;

use time::OffsetDateTime;

use super::inspect::InspectedBlob;
use super::jws::JwsAlg;
use super::{
    check_x5u_origin, payload, BlobError, BlobVerifyOptions, VerifiedBlob, X5uOriginError,
};
use crate::x509::{
    build_path, check_revocation_with, Cert, KeyUsage, PathError, PathProfile, RevocationMode,
    TrustAnchor,
};

impl<B: AsRef<[u8]>> InspectedBlob<B> {
    /// MDS3 §3.2 (phase 2 of 2): verifies the inspected BLOB at `now` with the anchors,
    /// allow-list and bounds of `opts`, the CRLs in `opts.crls` (fetched by the caller for the
    /// chain, e.g. from [`InspectedBlob::crl_distribution_points`]), the `x5u` chain and BLOB URL
    /// when the header has `x5u`, and the rollback reference `opts.last_accepted_no`; then
    /// builds the trust store.
    ///
    /// Fails at the same step, with the same error, as [`super::verify_blob`] on the same bytes
    /// and options. May be called more than once (each call builds its own store; the stores
    /// share the decoded payload).
    pub fn verify(
        &self,
        opts: &BlobVerifyOptions,
        now: OffsetDateTime,
    ) -> Result<VerifiedBlob, BlobError> {
        // The bound of these options (phase 1 may have had another).
        let size = self.blob().len();
        if size > opts.max_blob_bytes {
            return Err(BlobError::TooLarge { size, max: opts.max_blob_bytes });
        }

        // RFC 7515 §5.2 step 8 / RFC 7518 §3.1: the algorithm comes from the header, is checked
        // against the allow-list (never hard-coded), and later against the key type.
        let alg = self.alg().filter(|a| opts.allowed_algs.contains(a)).ok_or_else(|| {
            BlobError::AlgNotAllowed {
                alg: self.header().alg.clone(),
                allowed: opts.allowed_algs.clone(),
            }
        })?;

        // MDS3 §3.2 steps 4–5: where the signing certificate comes from.
        let offered = self.offered_chain(opts)?;

        let (anchor, chain, crls) = match offered.split_first() {
            Some((leaf, rest)) => {
                // RFC 7518 §3: the key type must fit alg (its own error, before any path work).
                if !alg.fits_key(leaf.public_key()) {
                    return Err(BlobError::AlgKeyMismatch {
                        alg,
                        key: leaf.public_key().describe(),
                        subject: leaf.subject().to_string(),
                    });
                }
                // RFC 5280 §4.2.1.3: a signing certificate with keyUsage must allow signatures.
                if let Some(usage) = leaf.key_usage() {
                    if !usage.has(KeyUsage::DIGITAL_SIGNATURE) {
                        return Err(BlobError::LeafKeyUsage {
                            subject: leaf.subject().to_string(),
                            serial: leaf.serial_hex(),
                        });
                    }
                }
                // MDS3 §3.2 steps 4–5: x5c is an unordered bag; build a path to a pinned root.
                let path = build_path(
                    leaf,
                    rest,
                    &opts.anchors,
                    now,
                    PathProfile::Metadata,
                    opts.path_budget,
                )
                .map_err(BlobError::Chain)?;
                // MDS3 §3.2 step 2: every certificate of the chain against its issuer's CRL.
                let crls = check_revocation_with(&path, &opts.crls, now, opts.revocation)
                    .map_err(BlobError::Revocation)?;
                // MDS3 §3.2 step 6: the signature, with the leaf's key.
                leaf.public_key()
                    .verify(alg.scheme(), self.signing_input(), self.signature())
                    .map_err(|reason| BlobError::Signature {
                        alg,
                        signer: leaf.subject().to_string(),
                        reason,
                    })?;
                let anchor = opts.anchors.get(path.anchor_index).cloned().unwrap_or_else(|| {
                    TrustAnchor { cert: path.anchor.clone(), label: String::new() }
                });
                (anchor, path.chain, crls)
            }
            // MDS3 §3.2 step 5: neither x5u nor x5c — the trust anchor itself signs.
            None => (self.anchor_signed(alg, opts)?, Vec::new(), Vec::new()),
        };

        // MDS3 §3.1.6: the payload's top level; refused whole when unusable.
        let text = self.payload().clone()?;
        let top = payload::parse_top(&text)?;
        // MDS3 §3.2 step 6: refuse rollback and replay.
        if let Some(stored) = opts.last_accepted_no {
            if top.no <= stored {
                return Err(BlobError::RollbackRefused { stored, offered: top.no });
            }
        }
        let parsed = top.into_parsed(&opts.payload_limits)?;

        Ok(VerifiedBlob {
            no: parsed.no,
            next_update: parsed.next_update,
            alg,
            anchor,
            chain,
            crls,
            legal_header: parsed.legal_header,
            store: Arc::new(parsed.store),
            quarantined: parsed.quarantined,
            warnings: parsed.warnings,
            unknown: parsed.unknown,
            revocation_checked: opts.revocation == RevocationMode::Require,
        })
    }

    /// MDS3 §3.2 steps 4–5: the certificates offered for the signing chain, leaf first — the
    /// `x5u` chain the caller downloaded (`x5u` takes precedence), else `x5c`, else none (the
    /// anchor must have signed).
    fn offered_chain(&self, opts: &BlobVerifyOptions) -> Result<Vec<Arc<Cert>>, BlobError> {
        if let Some(x5u) = self.x5u() {
            let blob_url = opts.blob_url.as_deref().ok_or_else(|| BlobError::X5uOrigin {
                x5u: x5u.to_string(),
                blob_url: String::new(),
                reason: X5uOriginError::UnknownBlobUrl,
            })?;
            check_x5u_origin(x5u, blob_url)?;
            // An empty download is no chain (it must not fall through to "the anchor signs").
            let chain = opts
                .x5u_chain
                .as_ref()
                .filter(|chain| !chain.is_empty())
                .ok_or_else(|| BlobError::X5uChainMissing { x5u: x5u.to_string() })?;
            if chain.len() > opts.max_x5c {
                return Err(BlobError::TooManyCertificates {
                    count: chain.len(),
                    max: opts.max_x5c,
                });
            }
            return Ok(chain.clone());
        }
        let Some(x5c) = self.x5c() else { return Ok(Vec::new()) };
        if x5c.count > opts.max_x5c {
            return Err(BlobError::TooManyCertificates { count: x5c.count, max: opts.max_x5c });
        }
        // Phase 1 parsed fewer (it was given a lower bound than these options).
        if x5c.count > x5c.parsed {
            return Err(BlobError::TooManyCertificates { count: x5c.count, max: x5c.parsed });
        }
        if let Some((index, e)) = &x5c.bad {
            return Err(BlobError::BadCertificate { index: *index, reason: e.clone() });
        }
        Ok(x5c.certs.clone())
    }

    /// MDS3 §3.2 step 5: without x5u and x5c, one of the trust anchors must have signed the
    /// BLOB. Anchors whose key does not fit `alg` are skipped; the first that verifies wins.
    fn anchor_signed(
        &self,
        alg: JwsAlg,
        opts: &BlobVerifyOptions,
    ) -> Result<TrustAnchor, BlobError> {
        if opts.anchors.is_empty() {
            return Err(BlobError::Chain(PathError::NoAnchors));
        }
        let mut last_error = None;
        for anchor in opts.anchors.iter().filter(|a| alg.fits_key(a.cert.public_key())) {
            let verified = anchor.cert.public_key().verify(
                alg.scheme(),
                self.signing_input(),
                self.signature(),
            );
            match verified {
                Ok(()) => return Ok(anchor.clone()),
                Err(reason) => {
                    last_error = Some(BlobError::Signature {
                        alg,
                        signer: format!(
                            "trust anchor {} ({})",
                            anchor.label,
                            anchor.cert.subject()
                        ),
                        reason,
                    })
                }
            }
        }
        Err(last_error.unwrap_or_else(|| BlobError::AlgKeyMismatch {
            alg,
            key: opts
                .anchors
                .iter()
                .map(|a| a.cert.public_key().describe())
                .collect::<Vec<_>>()
                .join(", "),
            subject: "every trust anchor (no x5c or x5u: the anchor must sign)".into(),
        }))
    }
}
