//! Serves and sends frames over loopback TCP with tokio and
//! `tokio_util::codec::Framed`: a server echoes every frame back with its
//! sequence number and flags, a client sends 1000 frames of growing size
//! and checks every echo.
//!
//! `cargo run -p nanopath-frame --features tokio --example echo`

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nanopath_frame::{Codec, CodecError, Frame, FrameFields};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

const FRAMES: u64 = 1000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await?;
        let mut framed = Framed::new(socket, Codec::default());
        let mut echoed = 0u64;
        while let Some(frame) = framed.next().await {
            let frame = frame?;
            framed.send(frame).await?;
            echoed += 1;
        }
        Ok::<u64, CodecError>(echoed)
    });

    let mut client = Framed::new(TcpStream::connect(addr).await?, Codec::default());
    for seq in 0..FRAMES {
        let payload = Bytes::from(vec![seq as u8; (seq as usize * 37) % 5000]);
        let frame = Frame::new(
            FrameFields {
                sequence: seq,
                flags: (seq % 7) as u8,
            },
            payload.clone(),
        )?;
        client.send(frame).await?;
        let echo = client.next().await.ok_or("server closed early")??;
        assert_eq!(echo.sequence(), seq);
        assert_eq!(echo.flags(), (seq % 7) as u8);
        assert_eq!(echo.payload(), &payload);
    }
    drop(client); // closes the connection; the server's stream ends
    let echoed = server.await??;
    assert_eq!(echoed, FRAMES);
    println!("echoed {echoed} frames over {addr}");
    Ok(())
}
