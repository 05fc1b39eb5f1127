package io.vigil.http.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Decides the client address of a request: the TCP peer, unless the peer is a trusted proxy, in
 * which case {@code X-Forwarded-For} is walked from the right, skipping trusted proxies, to the
 * first address that is not one. With no trusted proxies (the default) the header is ignored, so a
 * client cannot forge its address.
 *
 * <p>Only IP literals are parsed — never a host name, so no DNS lookup can happen on the request
 * path.
 */
public final class TrustedProxies {
    private static final int MAX_HOPS = 32;
    private static final TrustedProxies NONE = new TrustedProxies(List.of());

    private record Cidr(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> ranges;

    private TrustedProxies(List<Cidr> ranges) {
        this.ranges = ranges;
    }

    /** Trusts nobody: {@code X-Forwarded-For} is never used. */
    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * Parses addresses and CIDR ranges ({@code 10.0.0.0/8}, {@code 127.0.0.1}, {@code ::1}, {@code
     * fd00::/8}).
     *
     * @throws IllegalArgumentException naming the first entry that is not an IP literal or range
     */
    public static TrustedProxies of(Collection<String> entries) {
        List<Cidr> ranges = new ArrayList<>();
        for (String entry : entries) {
            String e = entry.strip();
            int slash = e.indexOf('/');
            byte[] address = parseLiteral(slash < 0 ? e : e.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("not an IP address or CIDR range: " + entry);
            }
            int bits = address.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("bad prefix length in " + entry, ex);
                }
                if (bits < 0 || bits > address.length * 8) {
                    throw new IllegalArgumentException("bad prefix length in " + entry);
                }
            }
            ranges.add(new Cidr(address, bits));
        }
        return ranges.isEmpty() ? NONE : new TrustedProxies(List.copyOf(ranges));
    }

    /** Whether any proxy is trusted at all (if not, callers need not read the header). */
    public boolean any() {
        return !ranges.isEmpty();
    }

    /** Whether {@code address} (an IP literal) is a trusted proxy. */
    public boolean isTrusted(String address) {
        if (ranges.isEmpty()) {
            return false;
        }
        byte[] a = parseLiteral(address);
        return a != null && isTrusted(a);
    }

    private boolean isTrusted(byte[] a) {
        for (Cidr c : ranges) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client address for a request from {@code peer} carrying these {@code X-Forwarded-For}
     * values: the right-most address not trusted, or the peer itself when it is not trusted or the
     * header is absent or malformed.
     */
    public String clientAddress(String peer, List<String> forwardedFor) {
        if (ranges.isEmpty() || forwardedFor == null || forwardedFor.isEmpty() || !isTrusted(peer)) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String hop : value.split(",", -1)) {
                hops.add(hop.strip());
            }
        }
        String client = peer;
        int walked = 0;
        for (int i = hops.size() - 1; i >= 0 && walked < MAX_HOPS; i--, walked++) {
            String hop = stripPort(hops.get(i));
            byte[] address = parseLiteral(hop);
            if (address == null) {
                break; // a garbled hop: trust nothing further left of it
            }
            client = normalise(hop, address);
            if (!isTrusted(address)) {
                break;
            }
        }
        return client;
    }

    private static String normalise(String literal, byte[] address) {
        if (address.length == 4) {
            return literal;
        }
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            return literal; // cannot happen for 16 bytes
        }
    }

    /** Strips {@code :port} from IPv4 and {@code [..]:port} brackets from IPv6 hops. */
    private static String stripPort(String hop) {
        if (hop.startsWith("[")) {
            int close = hop.indexOf(']');
            return close > 0 ? hop.substring(1, close) : hop;
        }
        int colon = hop.indexOf(':');
        if (colon > 0 && hop.indexOf(':', colon + 1) < 0) {
            return hop.substring(0, colon); // exactly one colon: IPv4 with port
        }
        return hop;
    }

    /** The address bytes of an IPv4 or IPv6 literal, or {@code null}; never resolves names. */
    static byte[] parseLiteral(String s) {
        if (s == null || s.isEmpty() || s.length() > 45) {
            return null;
        }
        if (s.indexOf(':') < 0) {
            return parseIpv4(s);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return null; // no zone ids, no brackets, no names
            }
        }
        try {
            // With a ':' the JDK parses an IPv6 literal and throws rather than resolve a name.
            byte[] a = InetAddress.getByName(s).getAddress();
            return a;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] parseIpv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }
}
