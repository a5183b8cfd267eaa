// The global that web/vendor/jsbarcode.code128.min.js defines (a classic script, not a module).
declare function JsBarcode(
  element: HTMLCanvasElement,
  data: string,
  options?: {
    format?: string;
    width?: number;
    height?: number;
    margin?: number;
    displayValue?: boolean;
    background?: string;
    lineColor?: string;
  },
): void;
