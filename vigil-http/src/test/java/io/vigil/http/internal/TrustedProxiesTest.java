package io.vigil.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private final TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "192.168.1.1", "fd00::/8"));

    @Test
    void untrustedPeerIsTheClientWhateverTheHeaderSays() {
        assertThat(proxies.clientAddress("203.0.113.5", List.of("1.2.3.4"))).isEqualTo("203.0.113.5");
    }

    @Test
    void nobodyIsTrustedByDefault() {
        assertThat(TrustedProxies.none().clientAddress("10.0.0.1", List.of("1.2.3.4")))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void rightMostUntrustedHopIsTheClient() {
        assertThat(proxies.clientAddress("10.0.0.1", List.of("6.6.6.6, 1.2.3.4, 10.9.9.9")))
                .isEqualTo("1.2.3.4");
    }

    @Test
    void valuesOfRepeatedHeadersAreOneList() {
        assertThat(proxies.clientAddress("10.0.0.1", List.of("6.6.6.6", "1.2.3.4")))
                .isEqualTo("1.2.3.4");
    }

    @Test
    void garbledHopStopsTheWalk() {
        assertThat(proxies.clientAddress("10.0.0.1", List.of("1.2.3.4, evil.example.com")))
                .isEqualTo("10.0.0.1");
        assertThat(proxies.clientAddress("10.0.0.1", List.of("1.2.3.4, 10.1.1.1, 999.1.1.1")))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void portsAndBracketsAreStripped() {
        assertThat(proxies.clientAddress("10.0.0.1", List.of("1.2.3.4:5678"))).isEqualTo("1.2.3.4");
        assertThat(proxies.clientAddress("10.0.0.1", List.of("[2001:db8::1]:443")))
                .isEqualTo("2001:db8:0:0:0:0:0:1");
    }

    @Test
    void ipv6RangesMatch() {
        assertThat(proxies.isTrusted("fd12::1")).isTrue();
        assertThat(proxies.isTrusted("fe80::1")).isFalse();
        assertThat(proxies.isTrusted("192.168.1.1")).isTrue();
        assertThat(proxies.isTrusted("192.168.1.2")).isFalse();
    }

    @Test
    void namesAreNeverResolved() {
        assertThat(TrustedProxies.parseLiteral("localhost")).isNull();
        assertThat(TrustedProxies.parseLiteral("1.2.3")).isNull();
        assertThat(TrustedProxies.parseLiteral("fe80::1%eth0")).isNull();
    }
}
