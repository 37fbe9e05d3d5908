package org.diffusionworker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace joined to this machine by a veth pair (iproute2, as root): a second host for one process, whose
 * only link can be taken down and brought back. The machine's side of the pair has {@link #hostAddress()}, where
 * servers the namespace must reach listen; the namespace's side has {@link #namespaceAddress()}.
 */
public final class NetworkNamespace implements AutoCloseable {

    private final String name;
    private final String hostInterface;
    private final String namespaceInterface;
    private final String hostAddress;
    private final String namespaceAddress;

    private NetworkNamespace(int id) {
        this.name = "dw-part-" + id;
        this.hostInterface = "dwh" + id;
        this.namespaceInterface = "dwn" + id;
        // A /30 of its own in 10.231.0.0/16, from the id, so that runs side by side do not collide.
        int subnet = (id % 16384) * 4;
        String prefix = "10.231." + (subnet / 256) + ".";
        this.hostAddress = prefix + (subnet % 256 + 1);
        this.namespaceAddress = prefix + (subnet % 256 + 2);
    }

    /**
     * Why a namespace cannot be made here (not root, no iproute2, no CAP_NET_ADMIN), or empty when it can: tried
     * for real, with a namespace made and removed.
     */
    public static Optional<String> unavailableBecause() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("not root (user " + System.getProperty("user.name") + "): network namespaces need root");
        }
        String probe = "dw-probe-" + ThreadLocalRandom.current().nextInt(1_000_000);
        try {
            run("ip", "netns", "add", probe);
            run("ip", "netns", "delete", probe);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("ip netns does not work here: " + e.getMessage());
        }
    }

    /** Makes the namespace and the pair, both ends up, loopback up inside. */
    public static NetworkNamespace create() throws IOException {
        NetworkNamespace ns = new NetworkNamespace(ThreadLocalRandom.current().nextInt(1, 16384));
        try {
            run("ip", "netns", "add", ns.name);
            run("ip", "link", "add", ns.hostInterface, "type", "veth", "peer", "name", ns.namespaceInterface);
            run("ip", "link", "set", ns.namespaceInterface, "netns", ns.name);
            run("ip", "addr", "add", ns.hostAddress + "/30", "dev", ns.hostInterface);
            run("ip", "link", "set", ns.hostInterface, "up");
            ns.inside("ip", "addr", "add", ns.namespaceAddress + "/30", "dev", ns.namespaceInterface);
            ns.inside("ip", "link", "set", ns.namespaceInterface, "up");
            ns.inside("ip", "link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** The command prefix that runs a program inside the namespace. */
    public List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    public String hostAddress() {
        return hostAddress;
    }

    public String namespaceAddress() {
        return namespaceAddress;
    }

    /** Takes the namespace's link down: nothing in it reaches anything outside, nor is reached. */
    public void cut() throws IOException {
        inside("ip", "link", "set", namespaceInterface, "down");
    }

    /** Brings the link back. */
    public void restore() throws IOException {
        inside("ip", "link", "set", namespaceInterface, "up");
    }

    @Override
    public void close() {
        try {
            run("ip", "link", "delete", hostInterface);
        } catch (IOException ignored) {
            // Gone with the namespace, or never made.
        }
        try {
            run("ip", "netns", "delete", name);
        } catch (IOException ignored) {
            // Never made.
        }
    }

    @Override
    public String toString() {
        return name + " (" + namespaceAddress + " <-> " + hostAddress + ")";
    }

    private void inside(String... command) throws IOException {
        List<String> full = new ArrayList<>(launcher());
        full.addAll(List.of(command));
        run(full.toArray(String[]::new));
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + output);
        }
    }
}
