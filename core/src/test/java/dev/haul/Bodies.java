package dev.haul;

import java.security.MessageDigest;
import java.util.HexFormat;

/** Deterministic bodies: byte i is i mod 251, so a misaligned resume shows at once. */
final class Bodies {
    private Bodies() {
    }

    static byte[] of(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
