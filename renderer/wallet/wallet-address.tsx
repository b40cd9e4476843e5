/**
 * The wallet's address as a person uses it: in full, with a Copy button, and as a QR code drawn
 * locally as SVG (nothing leaves the machine to make it).
 */
import { QRCodeSVG } from "qrcode.react";
import { useEffect, useState } from "react";

/** Writes `text` to the clipboard; false where the page may not. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function WalletAddress(props: { address: string; store: string }) {
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  useEffect(() => setCopied(null), [props.address]);
  return (
    <section className="card wallet-address" aria-labelledby="wallet-address-heading">
      <h2 id="wallet-address-heading">Address</h2>
      <p className="wallet-hint">This node&apos;s identity on the network. Its earnings are paid to this address.</p>
      <div className="wallet-address-row">
        <code className="wallet-address-text" data-testid="wallet-address">
          {props.address}
        </code>
        <button
          type="button"
          className="button small"
          onClick={() => void copyText(props.address).then((ok) => setCopied(ok ? "copied" : "failed"))}
        >
          Copy
        </button>
      </div>
      <p className="wallet-copy-status" role="status" aria-live="polite" data-testid="wallet-copy-status">
        {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy; select the address and copy it by hand." : ""}
      </p>
      <figure className="wallet-qr">
        <QRCodeSVG value={props.address} size={176} marginSize={2} level="M" title={`QR code of ${props.address}`} role="img" data-testid="wallet-qr" />
        <figcaption>Scan to send to this address</figcaption>
      </figure>
      <p className="wallet-store" data-testid="wallet-store">
        Key kept in: {props.store}
      </p>
    </section>
  );
}
