//! A gRPC client of an in-process daemon, and waiting for it to serve a BLOB. Needs the daemon
//! crate: feature `daemon` of this crate.

use std::time::Duration;

use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::GetMetadataInfoRequest;
use mdsd::daemon::server::Running;
use tonic::transport::Channel;

/// A client of `running`'s gRPC listener (plain TCP).
pub async fn client(running: &Running) -> AttestationServiceClient<Channel> {
    let url = format!("http://{}", running.grpc_addr.expect("a TCP gRPC listener"));
    AttestationServiceClient::new(Channel::from_shared(url).unwrap().connect().await.unwrap())
}

/// Waits (up to 10 s) until GetMetadataInfo says BLOB `no` is served; panics otherwise.
pub async fn wait_for_no(api: &mut AttestationServiceClient<Channel>, no: u64) {
    for _ in 0..200 {
        let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        if info.loaded && info.no == no {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("BLOB no {no} never served");
}
