package org.diffusionworker.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds loopback ports that are free right now, for servers that must know their port before they bind it. */
final class FreePorts {

    private FreePorts() {
    }

    /**
     * Returns a port the operating system just handed out and released again. Another process could take it before
     * the caller binds it; on a developer machine or a test run that window is small enough to accept, and the
     * alternative (binding port 0) is not possible where the port must be written into configuration first, as the
     * KRaft voter list and the S3Proxy endpoint must be.
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free port on the loopback interface", e);
        }
    }

    /** Passes a given port through, or picks a free one when it is 0. */
    static int orPick(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (pick a free one) or 1..65535, got " + port);
        }
        return port == 0 ? pick() : port;
    }
}
