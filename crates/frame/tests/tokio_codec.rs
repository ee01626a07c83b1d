//! The tokio codec over a byte stream: frames and payloads in, frames
//! out, one configuration both ways, and a stream that ends inside a frame
//! reported as a typed error.

#![cfg(feature = "tokio")]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nanopath_frame::{Codec, CodecError, Config, FrameError, FrameFields, HEADER_LEN};
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{FramedRead, FramedWrite};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
}

#[test]
fn payloads_and_fields_round_trip_through_framed() {
    runtime().block_on(async {
        let (client, server) = tokio::io::duplex(256);
        let writer = tokio::spawn(async move {
            let mut out = FramedWrite::new(client, Codec::default());
            for i in 0..50u64 {
                let payload = Bytes::from(vec![i as u8; i as usize * 7]);
                if i.is_multiple_of(2) {
                    out.send((
                        FrameFields {
                            sequence: i,
                            flags: 3,
                        },
                        payload,
                    ))
                    .await
                    .unwrap();
                } else {
                    out.send(payload).await.unwrap();
                }
            }
            SinkExt::<Bytes>::close(&mut out).await.unwrap();
        });
        let mut frames = FramedRead::new(server, Codec::default());
        let mut i = 0u64;
        while let Some(frame) = frames.next().await {
            let frame = frame.unwrap();
            let expected = if i.is_multiple_of(2) {
                FrameFields {
                    sequence: i,
                    flags: 3,
                }
            } else {
                FrameFields::default()
            };
            assert_eq!(frame.fields(), expected);
            assert_eq!(&frame.payload()[..], &vec![i as u8; i as usize * 7][..]);
            i += 1;
        }
        assert_eq!(i, 50);
        writer.await.unwrap();
    });
}

#[test]
fn a_stream_cut_inside_a_frame_is_a_typed_error() {
    for cut in [3, HEADER_LEN, HEADER_LEN + 5] {
        runtime().block_on(async {
            let mut wire = bytes::BytesMut::new();
            nanopath_frame::FrameEncoder::default()
                .encode(FrameFields::default(), &[9u8; 10], &mut wire)
                .unwrap();
            let (mut client, server) = tokio::io::duplex(256);
            client.write_all(&wire[..cut]).await.unwrap();
            drop(client);
            let mut frames = FramedRead::new(server, Codec::default());
            let expected = if cut < HEADER_LEN {
                HEADER_LEN
            } else {
                HEADER_LEN + 10
            };
            match frames.next().await {
                Some(Err(CodecError::Frame(FrameError::TooShort {
                    actual,
                    expected: e,
                }))) => {
                    assert_eq!((actual, e), (cut, expected));
                }
                other => panic!("expected a cut-frame error, got {other:?}"),
            }
        });
    }
}

#[test]
fn one_limit_governs_both_directions() {
    let config = Config {
        max_frame_len: 8,
        ..Config::default()
    };
    runtime().block_on(async {
        let (client, _server) = tokio::io::duplex(256);
        let mut out = FramedWrite::new(client, Codec::new(config));
        let err = out
            .send(Bytes::from_static(b"nine byte"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CodecError::Frame(FrameError::TooLarge { len: 9, max: 8 })
            ),
            "{err:?}"
        );
        out.send(Bytes::from_static(b"eight bb")).await.unwrap();
    });
}

/// A slow-loris peer on a real stream: it announces the largest frame and
/// sends a byte at a time. The reader's buffer grows with what arrived,
/// never to the announced 16 MiB; the frame still arrives whole.
#[test]
#[cfg_attr(miri, ignore = "16 MiB of input; the bound is arithmetic, not UB")]
fn a_slow_loris_peer_gets_memory_in_proportion_to_what_it_sent() {
    use futures_util::FutureExt;
    runtime().block_on(async {
        let config = Config::default();
        let payload = Bytes::from(vec![0xc3u8; config.max_frame_len as usize]);
        let mut wire = bytes::BytesMut::new();
        nanopath_frame::FrameEncoder::new(config.max_frame_len)
            .encode(FrameFields::default(), &payload, &mut wire)
            .unwrap();
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut reader = FramedRead::new(server, Codec::new(config));
        let slow = 64 * 1024;
        for (sent, byte) in wire[..slow].iter().enumerate() {
            client.write_all(&[*byte]).await.unwrap();
            // One poll: the reader takes the byte, decodes nothing yet.
            assert!(reader.next().now_or_never().is_none());
            let held = sent + 1;
            let room = reader.read_buffer().capacity();
            assert!(
                room <= 4 * held + 2 * nanopath_frame::FrameDecoder::RESERVE_STEP + 8192,
                "{room} bytes of buffer after {held} received"
            );
        }
        let writer = tokio::spawn(async move {
            client.write_all(&wire[slow..]).await.unwrap();
            client
        });
        let frame = reader.next().await.unwrap().unwrap();
        assert_eq!(frame.payload(), &payload);
        drop(writer.await.unwrap());
        assert!(reader.next().await.is_none());
    });
}
