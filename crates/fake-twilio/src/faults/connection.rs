//! The fake's TCP connections, each with a switch a request can flip to drop it without answering.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A pause after a failed `accept` (such as too many open files), so the loop does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(20);

/// Accepts TCP connections that can be dropped mid-request (see [`Connection::drop_unanswered`]).
#[derive(Debug)]
pub struct FaultyListener(pub TcpListener);

/// One connection's drop switch, reachable from requests as `ConnectInfo<Connection>`.
#[derive(Debug, Clone, Default)]
pub struct Connection(Arc<AtomicBool>);

impl Connection {
    /// From now on the connection refuses to read or write: the server closes it, with a TCP reset,
    /// without sending the answer in progress.
    pub fn drop_unanswered(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn dropped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A TCP stream that fails every read and write once its [`Connection`] is dropped.
#[derive(Debug)]
pub struct DroppableStream {
    stream: TcpStream,
    connection: Connection,
}

impl DroppableStream {
    /// Runs `operation` on the stream, or fails once the connection is dropped; then the close that
    /// follows is a TCP reset rather than an orderly FIN.
    fn unless_dropped<T>(
        &mut self,
        operation: impl FnOnce(Pin<&mut TcpStream>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if !self.connection.dropped() {
            return operation(Pin::new(&mut self.stream));
        }
        // Best effort: without it the close is an orderly FIN, which a client reads as an early EOF.
        let _ = self.stream.set_zero_linger();
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection dropped by fault injection",
        )))
    }
}

impl Listener for FaultyListener {
    type Io = DroppableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (DroppableStream, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, address)) => {
                    let stream = DroppableStream {
                        stream,
                        connection: Connection::default(),
                    };
                    return (stream, address);
                }
                Err(_) => tokio::time::sleep(ACCEPT_RETRY).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, FaultyListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, FaultyListener>) -> Connection {
        stream.io().connection.clone()
    }
}

impl AsyncRead for DroppableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut()
            .unless_dropped(|stream| stream.poll_read(cx, buf))
    }
}

impl AsyncWrite for DroppableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .unless_dropped(|stream| stream.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .unless_dropped(|stream| stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .unless_dropped(|stream| stream.poll_shutdown(cx))
    }
}
